// node:fs plus a globSync that says plainly why it cannot run (only tier-check calls it).
import fs from "node:fs";

export * from "node:fs";
export default fs;
export const globSync =
  fs.globSync ??
  (() => {
    throw new Error("fs.globSync needs Node 22+; only `conformance tier-check` uses it");
  });
