// Loaded with `node --import` before the conformance CLI: installs the resolve hook.
import { register } from "node:module";

register("./hooks.mjs", import.meta.url);
