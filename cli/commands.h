/*
 * commands.h -- the table of subcommands (X-macro).  Each line names a
 * cli_cmd_<name>() defined in cli/cmd_<name>.c.  Keep alphabetical within
 * groups; `cryofib --help` prints them in this order.
 * CLI_CMD_NAMED(name, "word", summary) registers cli_cmd_<name>() under a
 * command word that is not a C identifier ("slice-view").
 */
CLI_CMD(convert, "convert images/volumes between png, tiff, mrc and nrrd")
CLI_CMD(correct, "remove curtaining, shading, slice brightness drift and noise")
CLI_CMD(demo, "run the main job on embedded defaults (no files needed)")
CLI_CMD(phantom, "render a synthetic slice-and-view series with ground truth")
CLI_CMD(recon, "align a slice series and write a geometry-corrected volume")
CLI_CMD(info, "print size, pixel size and vendor metadata of an image file")
CLI_CMD(measure, "measure a label volume: fractions, surfaces, objects, "
                 "thickness, tortuosity")
CLI_CMD(simulate, "render a slice-and-view run from a label volume (digital "
                  "twin)")
CLI_CMD(
    segment,
    "segment a volume into labels (Otsu, thresholds, morphology, watershed)")
CLI_CMD(version, "print the version")
CLI_CMD(ions, "list ion species, column presets and probe-size fits")
CLI_CMD(materials, "list the materials database (built-in + user file)")
CLI_CMD(sputter,
        "sputter yield, removal rate, range and damage of an ion in a material")
CLI_CMD(plan,
        "plan a lamella session step by step (Ga vs Xe, ladders, timeline)")
CLI_CMD_NAMED(slice_view, "slice-view",
              "plan a FIB-SEM slice-and-view run (slices, time, dose, data)")
CLI_CMD(workflow, "recommend cryo workflow 1-4 and its equipment for a session")
