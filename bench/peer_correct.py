#!/usr/bin/python3
"""peer_correct.py -- the peer implementations for bench/run_correct.sh.

remove_stripe_fw(): the combined wavelet-Fourier stripe filter of Muench et
al., Opt. Express 17:8567 (2009), written with PyWavelets exactly as tomopy
does it (tomopy/prep/stripe.py::_remove_stripe_fw, pad=True), for one 2D
image whose stripes run along axis 0 (image y, vertical curtains).
"""
import numpy as np
import pywt


def remove_stripe_fw(img, level=None, wname="db5", sigma=2.0, pad=True):
    """tomopy _remove_stripe_fw on a 2D image (stripes along axis 0)."""
    dx, dz = img.shape
    if level is None:
        level = int(np.ceil(np.log2(max(dx, dz))))
    nx = dx
    if pad:
        nx = dx + dx // 8
    xshift = int((nx - dx) // 2)
    sli = np.zeros((nx, dz), dtype="float32")
    sli[xshift:dx + xshift] = img
    cH, cV, cD = [], [], []
    for n in range(level):
        sli, (cHt, cVt, cDt) = pywt.dwt2(sli, wname)
        cH.append(cHt)
        cV.append(cVt)
        cD.append(cDt)
    for n in range(level):
        fcV = np.fft.fftshift(np.fft.fft(cV[n], axis=0))
        my, mx = fcV.shape
        y_hat = (np.arange(-my, my, 2, dtype="float32") + 1) / 2
        damp = -np.expm1(-np.square(y_hat) / (2 * np.square(sigma)))
        fcV *= np.transpose(np.tile(damp, (mx, 1)))
        cV[n] = np.real(np.fft.ifft(np.fft.ifftshift(fcV), axis=0))
    for n in range(level)[::-1]:
        sli = sli[0:cH[n].shape[0], 0:cV[n].shape[1]]
        sli = pywt.idwt2((sli, (cH[n], cV[n], cD[n])), wname)
    return sli[xshift:dx + xshift, 0:dz]
