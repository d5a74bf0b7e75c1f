import { TPM_MODELS, TPM_MODELS_LISTED_ON } from "../qianfan/actions";
import * as z from "../validation";

/** A model id as PurchaseTPMResource takes it: any sane id, since the documented list changes. */
export const TpmModelId = z.string().check(
  z.minLength(1, { abort: true, message: "expected a model id such as ernie-speed-8k" }),
  z.maxLength(64, { abort: true, message: "a model id is at most 64 characters" }),
  z.regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    "a model id such as ernie-speed-8k: letters, digits, '.', '_' and '-'",
  ),
  z.meta({
    description: `A model PurchaseTPMResource accepts, e.g. ernie-speed-8k. The examples are the models the docs listed on ${TPM_MODELS_LISTED_ON}; another loads with a warning, and the platform's answer decides`,
    examples: [...TPM_MODELS],
  }),
);
