/**
 * zod's small API (`zod/mini`), with its English messages loaded: every runtime schema is built
 * from this module as `import * as z from "../validation"`. The classic API would add ~190 KB to
 * each Lambda bundle; a namespace import keeps esbuild's tree-shaking to the functions used.
 */
import { config } from "zod/mini";
import en from "zod/v4/locales/en.js";

// zod/mini ships no messages ("Invalid input" for everything): English, as the classic API has
// them, so every problem reads the same in the CLI and in a function.
config(en());

export * from "zod/mini";
