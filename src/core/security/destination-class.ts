import type { DestinationClass } from '../../store/types.js';

/**
 * Which class an external number belongs to, for the toll-fraud limits: emergency (always allowed), national,
 * mobile, international or premium. Premium-rate and mobile ranges are known for the home countries this
 * server is deployed in (DE, AT, CH, GB, FR, NANP); elsewhere a number of the home country counts as national.
 * When in doubt the answer is the more expensive class, never the cheaper one.
 */
export type NumberClass = DestinationClass | 'emergency';

/** Short numbers that reach emergency services in the supported countries (EU 112, DE 110, CH/AT 117/118/144...). */
const EMERGENCY = new Set(['112', '110', '911', '999', '117', '118', '144', '133', '122', '15', '17', '18']);

interface CountryRanges {
  premium: RegExp;
  mobile?: RegExp;
}

/** National significant numbers (after the country code). */
const RANGES: Record<string, CountryRanges> = {
  // DE: 0900 premium, 0137 televoting, 118xx directory enquiries; mobile 015x, 016x, 017x.
  '49': { premium: /^(900|137|118)/, mobile: /^1[567]/ },
  // AT: 0900/0901/0930/0931/0939 premium; mobile 065x-069x.
  '43': { premium: /^(90[01]|93[019])/, mobile: /^6[5-9]/ },
  // CH: 0900/0901/0906 premium; mobile 075-079.
  '41': { premium: /^90[016]/, mobile: /^7[5-9]/ },
  // GB: 09 premium, 0871-0873 service numbers; mobile 07.
  '44': { premium: /^(9|87[123])/, mobile: /^7/ },
  // FR: 089 premium; mobile 06, 07.
  '33': { premium: /^89/, mobile: /^[67]/ },
  // NANP: 1-900 and 1-976 premium; mobile numbers are not told apart.
  '1': { premium: /^(900|976)/ },
};

/**
 * `dialled` is the number as the dial plan handed it over (outside-line prefix stripped); `e164` its E.164 form
 * when the trunk knows its country (`+4930...`); `homeCountry` that country code ("49") when known.
 */
export function classifyNumber(
  dialled: string,
  e164: string | undefined,
  homeCountry: string | undefined,
): NumberClass {
  const digits = dialled.replace(/[\s\-().]/g, '');
  if (EMERGENCY.has(digits)) return 'emergency';
  // A short number keeps its dialled form in `e164` (a trunk cannot make it global): not E.164 then.
  const given = e164?.startsWith('+') ? e164 : undefined;
  const full =
    given ?? (digits.startsWith('+') ? digits : digits.startsWith('00') ? `+${digits.slice(2)}` : undefined);
  if (full === undefined) {
    // National format without a known country: only "0..." or a short number can be national.
    return /^0[1-9]/.test(digits) || /^[1-9][0-9]{2,5}$/.test(digits) ? 'national' : 'international';
  }
  if (!homeCountry || !full.startsWith(`+${homeCountry}`)) return 'international';
  const nsn = full.slice(1 + homeCountry.length);
  const ranges = RANGES[homeCountry];
  if (!ranges) return 'national';
  if (ranges.premium.test(nsn)) return 'premium';
  if (ranges.mobile?.test(nsn)) return 'mobile';
  return 'national';
}
