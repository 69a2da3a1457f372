#!/usr/bin/env python3
"""Least-squares log-log fits d = d1 * (I / 1 nA)^n of the published Ga probe
tables (planner-physics.md 4.3): Thermo Helios G2 beam diameters and Zeiss
Crossbeam probe widths.  Prints d1, n, the spread of data/fit and the data
range; the values are hard-coded in planner/src/physics/ions.c."""
import numpy as np
H={30:"1.5 pA:7, 9.7 pA:13, 28 pA:17, 48 pA:19, 93 pA:24, 0.28 nA:31, 0.46 nA:35, 0.92 nA:44, 2.8 nA:66, 6.5 nA:102, 9.3 nA:129, 21 nA:274",
16:"0.6 pA:12, 3.4 pA:19, 11 pA:25, 21 pA:29, 45 pA:34, 0.13 nA:45, 0.24 nA:54, 0.47 nA:66, 1.4 nA:93, 3.3 nA:130, 4.7 nA:155, 21 nA:520",
8:"0.5 pA:12, 1.9 pA:16, 5.7 pA:22, 11 pA:26, 21 pA:30, 62 pA:41, 0.11 nA:50, 0.22 nA:63, 0.66 nA:90, 1.6 nA:133, 2.2 nA:159, 19 nA:1056",
5:"0.4 pA:20, 1.6 pA:27, 4.4 pA:35, 8 pA:41, 16 pA:48, 47 pA:67, 81 pA:80, 0.15 nA:96, 0.45 nA:143, 1 nA:207, 1.5 nA:251, 12 nA:1400",
2:"0.3 pA:39, 1.3 pA:51, 3.2 pA:65, 5.5 pA:77, 10 pA:92, 28 pA:126, 46 pA:150, 89 pA:195, 0.25 nA:299, 0.56 nA:432, 0.77 nA:507, 6.7 nA:1935",
1:"0.7 pA:80, 2.3 pA:110, 5.3 pA:143, 8.6 pA:168, 14 pA:200, 36 pA:288, 59 pA:353, 0.11 nA:459, 0.3 nA:749, 0.66 nA:1092, 0.92 nA:1284, 6.9 nA:3927",
0.5:"1.5 pA:252, 6 pA:498, 15 pA:779, 24 pA:996, 42 pA:1311, 0.11 nA:2136, 0.18 nA:2771, 0.33 nA:3960, 0.92 nA:9270, 2 nA:24420, 2.8 nA:38445, 21 nA:750000"}
def parse(s):
  out=[]
  for t in s.split(","):
    a,d=t.strip().split(":"); v,u=a.split(); v=float(v)
    out.append((v*1000 if u=="nA" else v, float(d)))
  return out
for kv,s in H.items():
  p=parse(s); I=np.array([x[0] for x in p]); d=np.array([x[1] for x in p])
  A=np.vstack([np.ones_like(I),np.log(I/1000)]).T
  c,res,_,_=np.linalg.lstsq(A,np.log(d),rcond=None)
  pred=np.exp(A@c); r=d/pred
  print(kv, "d1=%.1f n=%.3f"%(np.exp(c[0]),c[1]), "min %.2f max %.2f"%(r.min(),r.max()), "Imin %g Imax %g"%(I.min(),I.max()))
Z=[(1,5),(2,10),(5,14),(10,25),(20,35),(50,45),(100,70),(300,175),(700,210),(1500,240),(3000,325),(7000,650),(15000,750),(30000,1400),(65000,2000),(100000,3750)]
I=np.array([z[0] for z in Z],float); d=np.array([z[1] for z in Z],float)
A=np.vstack([np.ones_like(I),np.log(I/1000)]).T
c,_,_,_=np.linalg.lstsq(A,np.log(d),rcond=None); r=d/np.exp(A@c)
print("zeiss d1=%.1f n=%.3f min %.2f max %.2f"%(np.exp(c[0]),c[1],r.min(),r.max()))
