/*
 * commands.h -- the table of subcommands (X-macro).  Each line names a
 * cli_cmd_<name>() defined in cli/cmd_<name>.c.  Keep alphabetical within
 * groups; `cryofib --help` prints them in this order.
 */
CLI_CMD(convert, "convert images/volumes between png, tiff, mrc and nrrd")
CLI_CMD(demo, "run the main job on embedded defaults (no files needed)")
CLI_CMD(info, "print size, pixel size and vendor metadata of an image file")
CLI_CMD(measure, "measure a label volume: fractions, surfaces, objects, thickness, tortuosity")
CLI_CMD(segment, "segment a volume into labels (Otsu, thresholds, morphology, watershed)")
CLI_CMD(version, "print the version")
