-- 0003 model prices: the public price list (org_id NULL) for the models whose list price could be read from the
-- provider's own documentation. Prices are per 1M tokens in integer micro-dollars ($2.50 / 1M tokens = 2500000),
-- standard (synchronous, non-batch, non-priority) tier, USD.
--
-- Sources, all read on 2026-11-22 (from stored copies of the pages, so the figures are as of each copy's crawl):
--   OpenAI     https://developers.openai.com/api/docs/models/gpt-5-nano
--              https://developers.openai.com/ko-KR/api/docs/models/gpt-5-mini   (Korean locale of the official model page;
--              https://developers.openai.com/ko-KR/api/docs/models/gpt-4.1-nano  the price table is in USD and untranslated)
--   Anthropic  https://platform.claude.com/docs/en/docs/about-claude/pricing
--              https://docs.anthropic.com/en/docs/about-claude/pricing           (the copy that still lists Claude Sonnet 3.5)
--   DeepSeek   https://api-docs.deepseek.com/quick_start/pricing-details-usd    (prices of DeepSeek-V3 / DeepSeek-R1)
--              https://api-docs.deepseek.com/updates                            (change log: when the API names moved on)
--
-- Cached-input convention: tokens_in counts ALL input tokens, cached ones included; of those, tokens_cached are billed
-- at cached_input_per_mtok_micros and the rest at input_per_mtok_micros. cached_input_per_mtok_micros NULL means the
-- model has no cache discount (cached tokens are billed at the input price).
--   * OpenAI (prompt_tokens / input_tokens) and DeepSeek (prompt_tokens = cache hit + cache miss) already report input
--     that way. Anthropic's usage.input_tokens EXCLUDES cache reads and cache writes: tokens_in must be
--     input_tokens + cache_creation_input_tokens + cache_read_input_tokens, tokens_cached = cache_read_input_tokens.
--   * For Anthropic the cached price is the "Cache Hits & Refreshes" price. Cache WRITES (1.25x base input for the
--     5-minute TTL, 2x for 1 hour) are not modelled here: they are billed at the base input price, so costs of
--     requests that write the cache are under-estimated.
--
-- effective_from: none of these pages dates its prices. Unless a comment says otherwise, a price is taken to hold since
-- the model's release, and effective_from is the date in the provider's dated snapshot id (which is the release date
-- or a few days before it, so no real usage precedes it). effective_to is NULL for prices still listed.
--
-- Tiered prices: the lowest tier is used (Anthropic Sonnet 4 / 4.5 with the 1M-token context: the <= 200K-input tier;
-- requests above 200K input tokens cost $6 / $22.50 per MTok and are under-estimated).
--
-- The second INSERT below adds the OpenAI and Google models whose official pages could not be read here (see its
-- comment). Not seeded at all: Mistral and Llama (no host's own price page could be read; add them as org rows).
--
-- Provider names are the six canonical ones ('openai', 'anthropic', 'google', 'mistral', 'meta', 'deepseek'); the
-- application maps OpenTelemetry gen_ai.system / gen_ai.provider.name values onto them. All names are lower case.

INSERT INTO model_prices
  (id, org_id, provider, model, aliases,
   input_per_mtok_micros, output_per_mtok_micros, cached_input_per_mtok_micros,
   effective_from, effective_to, source)
VALUES
  -- ---------------------------------------------------------------------------------------------------------------
  -- OpenAI
  -- ---------------------------------------------------------------------------------------------------------------
  -- GPT-4.1 nano: $0.10 in, $0.025 cached in, $0.40 out. Released 2025-04-14 (snapshot gpt-4.1-nano-2025-04-14).
  ('f375f796-20fe-4898-ba13-f4d0a440c471', NULL, 'openai', 'gpt-4.1-nano',
   ARRAY['gpt-4.1-nano-2025-04-14'],
   100000, 400000, 25000,
   '2025-04-14T00:00:00Z', NULL,
   'https://developers.openai.com/api/docs/models/gpt-4.1-nano (ko-KR locale copy; read 2026-11-22)'),

  -- GPT-5 mini: $0.25 in, $0.025 cached in, $2.00 out. Released 2025-08-07 (snapshot gpt-5-mini-2025-08-07).
  ('a26e39a9-d01b-49d8-bb9c-c882af13f7e1', NULL, 'openai', 'gpt-5-mini',
   ARRAY['gpt-5-mini-2025-08-07'],
   250000, 2000000, 25000,
   '2025-08-07T00:00:00Z', NULL,
   'https://developers.openai.com/api/docs/models/gpt-5-mini (ko-KR locale copy; read 2026-11-22)'),

  -- GPT-5 nano: $0.05 in, $0.005 cached in, $0.40 out. Released 2025-08-07 (snapshot gpt-5-nano-2025-08-07).
  ('56240128-1398-4a11-b086-c8d18f5a289c', NULL, 'openai', 'gpt-5-nano',
   ARRAY['gpt-5-nano-2025-08-07'],
   50000, 400000, 5000,
   '2025-08-07T00:00:00Z', NULL,
   'https://developers.openai.com/api/docs/models/gpt-5-nano (read 2026-11-22)'),

  -- ---------------------------------------------------------------------------------------------------------------
  -- Anthropic (cached input = "Cache Hits & Refreshes")
  -- ---------------------------------------------------------------------------------------------------------------
  -- Claude Haiku 3.5: $0.80 in, $0.08 cache hit, $4 out. effective_from is the snapshot date (release). CAUTION: the
  -- official page gives no date for this price; third-party reports say the model launched at $1 / $5 and was cut to
  -- $0.80 / $4 about a month later, so late-2024 usage may be under-priced by this row.
  ('004fb9b1-ca80-464b-b47b-77cfdb45c2d3', NULL, 'anthropic', 'claude-3-5-haiku',
   ARRAY['claude-3-5-haiku-20241022', 'claude-3-5-haiku-latest'],
   800000, 4000000, 80000,
   '2024-10-22T00:00:00Z', NULL,
   'https://platform.claude.com/docs/en/docs/about-claude/pricing (read 2026-11-22)'),

  -- Claude Sonnet 3.5 (both snapshots): $3 in, $0.30 cache hit, $15 out. From the first snapshot's date (release).
  ('4b7f6a7b-7b1f-4022-880f-9a00e5ca79bc', NULL, 'anthropic', 'claude-3-5-sonnet',
   ARRAY['claude-3-5-sonnet-20240620', 'claude-3-5-sonnet-20241022', 'claude-3-5-sonnet-latest'],
   3000000, 15000000, 300000,
   '2024-06-20T00:00:00Z', NULL,
   'https://docs.anthropic.com/en/docs/about-claude/pricing (read 2026-11-22)'),

  -- Claude Sonnet 3.7: $3 in, $0.30 cache hit, $15 out. From the snapshot date (release).
  ('5aa691c8-5982-4e93-9bde-65f0e406f10f', NULL, 'anthropic', 'claude-3-7-sonnet',
   ARRAY['claude-3-7-sonnet-20250219', 'claude-3-7-sonnet-latest'],
   3000000, 15000000, 300000,
   '2025-02-19T00:00:00Z', NULL,
   'https://platform.claude.com/docs/en/docs/about-claude/pricing (read 2026-11-22)'),

  -- Claude Sonnet 4: $3 in, $0.30 cache hit, $15 out (<= 200K input tokens tier). From the snapshot date (release).
  ('fa3c8a71-9598-41dd-95df-173228cc6e75', NULL, 'anthropic', 'claude-sonnet-4',
   ARRAY['claude-sonnet-4-20250514', 'claude-sonnet-4-0'],
   3000000, 15000000, 300000,
   '2025-05-14T00:00:00Z', NULL,
   'https://platform.claude.com/docs/en/docs/about-claude/pricing (read 2026-11-22)'),

  -- Claude Opus 4: $15 in, $1.50 cache hit, $75 out. From the snapshot date (release).
  ('6371a907-125c-482f-b664-574cb1fb1735', NULL, 'anthropic', 'claude-opus-4',
   ARRAY['claude-opus-4-20250514', 'claude-opus-4-0'],
   15000000, 75000000, 1500000,
   '2025-05-14T00:00:00Z', NULL,
   'https://platform.claude.com/docs/en/docs/about-claude/pricing (read 2026-11-22)'),

  -- Claude Opus 4.1: $15 in, $1.50 cache hit, $75 out. From the snapshot date (release).
  ('c9bbc463-3d4b-4331-8b1c-546272108480', NULL, 'anthropic', 'claude-opus-4-1',
   ARRAY['claude-opus-4-1-20250805'],
   15000000, 75000000, 1500000,
   '2025-08-05T00:00:00Z', NULL,
   'https://platform.claude.com/docs/en/docs/about-claude/pricing (read 2026-11-22)'),

  -- Claude Sonnet 4.5: $3 in, $0.30 cache hit, $15 out (<= 200K input tokens tier). From the snapshot date (release).
  ('c5e34dcd-0c4b-480c-9977-6dd047d29a27', NULL, 'anthropic', 'claude-sonnet-4-5',
   ARRAY['claude-sonnet-4-5-20250929'],
   3000000, 15000000, 300000,
   '2025-09-29T00:00:00Z', NULL,
   'https://platform.claude.com/docs/en/docs/about-claude/pricing (read 2026-11-22)'),

  -- Claude Haiku 4.5: $1 in, $0.10 cache hit, $5 out. From the snapshot date (release).
  ('8ac7c2b3-eadb-4cd3-b212-25cf7644f09d', NULL, 'anthropic', 'claude-haiku-4-5',
   ARRAY['claude-haiku-4-5-20251001'],
   1000000, 5000000, 100000,
   '2025-10-01T00:00:00Z', NULL,
   'https://platform.claude.com/docs/en/docs/about-claude/pricing (read 2026-11-22)'),

  -- ---------------------------------------------------------------------------------------------------------------
  -- DeepSeek, on DeepSeek's own API (cached input = "cache hit"; input = "cache miss"). The API names deepseek-chat and
  -- deepseek-reasoner served DeepSeek-V3 and DeepSeek-R1 until the change log's 2025-08-21 entry, when both moved to
  -- DeepSeek-V3.1 (whose later prices are not seeded). effective_to is that date (00:00 UTC; the hour of the switch
  -- is not given), so later deepseek-chat / deepseek-reasoner calls are left unpriced rather than priced as V3 / R1.
  -- These are peak (list) prices; DeepSeek's off-peak discounts are not modelled.
  -- ---------------------------------------------------------------------------------------------------------------
  -- DeepSeek-V3 (deepseek-chat): $0.27 cache miss, $0.07 cache hit, $1.10 out. These list prices applied from the end
  -- of V3's launch discount, 2025-02-08 16:00 UTC (footnote (5) of the pricing page, read via a mirror of that page);
  -- the discounted launch prices are not seeded, so V3 usage before that instant is left unpriced.
  ('564dfa75-6786-4405-8261-bb62bb3946e6', NULL, 'deepseek', 'deepseek-v3',
   ARRAY['deepseek-chat'],
   270000, 1100000, 70000,
   '2025-02-08T16:00:00Z', '2025-08-21T00:00:00Z',
   'https://api-docs.deepseek.com/quick_start/pricing-details-usd and https://api-docs.deepseek.com/updates (host: DeepSeek API; read 2026-11-22)'),

  -- DeepSeek-R1 (deepseek-reasoner): $0.55 cache miss, $0.14 cache hit, $2.19 out (output includes chain-of-thought
  -- tokens). R1 was not part of V3's launch discount; effective_from is R1's release date (2025-01-20), the page giving
  -- no date for the price.
  ('df0f5390-b991-4ce4-b0f1-88b526ac62c3', NULL, 'deepseek', 'deepseek-r1',
   ARRAY['deepseek-reasoner'],
   550000, 2190000, 140000,
   '2025-01-20T00:00:00Z', '2025-08-21T00:00:00Z',
   'https://api-docs.deepseek.com/quick_start/pricing-details-usd and https://api-docs.deepseek.com/updates (host: DeepSeek API; read 2026-11-22)');

-- ---------------------------------------------------------------------------------------------------------------
-- OpenAI and Google models whose official pages the search corpus did not hold. These figures are the providers'
-- published standard list prices as the AgentOps team knows them (2025 price lists), cross-checked against
-- third-party pages that quote the official tables; source names the official page to verify against. An
-- organization that pays other rates adds its own rows (they override these).
-- ---------------------------------------------------------------------------------------------------------------
INSERT INTO model_prices
  (id, org_id, provider, model, aliases,
   input_per_mtok_micros, output_per_mtok_micros, cached_input_per_mtok_micros,
   effective_from, effective_to, source)
VALUES
  -- GPT-4o: $2.50 in, $1.25 cached, $10 out (the 2024-05-13 snapshot keeps $5/$15 and is deliberately not an alias).
  ('3ceaaf30-8142-48ea-91d9-3080f9b439fc', NULL, 'openai', 'gpt-4o',
   ARRAY['gpt-4o-2024-08-06', 'gpt-4o-2024-11-20', 'chatgpt-4o-latest'],
   2500000, 10000000, 1250000,
   '2024-08-06T00:00:00Z', NULL,
   'https://openai.com/api/pricing (list price as published; entered 2026-11-22)'),
  -- The first GPT-4o snapshot: $5 in, $15 out, no cache discount.
  ('9dfb369b-ab13-4fae-a276-55daa05f1119', NULL, 'openai', 'gpt-4o-2024-05-13',
   '{}'::text[],
   5000000, 15000000, NULL,
   '2024-05-13T00:00:00Z', NULL,
   'https://openai.com/api/pricing (list price as published; entered 2026-11-22)'),
  -- GPT-4o mini: $0.15 in, $0.075 cached, $0.60 out.
  ('6301bbfc-a0c5-454e-8ff9-bb510944fe0c', NULL, 'openai', 'gpt-4o-mini',
   ARRAY['gpt-4o-mini-2024-07-18'],
   150000, 600000, 75000,
   '2024-07-18T00:00:00Z', NULL,
   'https://openai.com/api/pricing (list price as published; entered 2026-11-22)'),
  -- GPT-4.1: $2 in, $0.50 cached, $8 out.
  ('6fced11d-2bd8-41e6-847a-8387cdde8d51', NULL, 'openai', 'gpt-4.1',
   ARRAY['gpt-4.1-2025-04-14'],
   2000000, 8000000, 500000,
   '2025-04-14T00:00:00Z', NULL,
   'https://openai.com/api/pricing (list price as published; entered 2026-11-22)'),
  -- GPT-4.1 mini: $0.40 in, $0.10 cached, $1.60 out.
  ('3a124c64-7e02-4f05-b7c1-dce27f7695f5', NULL, 'openai', 'gpt-4.1-mini',
   ARRAY['gpt-4.1-mini-2025-04-14'],
   400000, 1600000, 100000,
   '2025-04-14T00:00:00Z', NULL,
   'https://openai.com/api/pricing (list price as published; entered 2026-11-22)'),
  -- o1: $15 in, $7.50 cached, $60 out.
  ('66080f17-4c96-48e2-9cbd-0ba3a1a6bcde', NULL, 'openai', 'o1',
   ARRAY['o1-2024-12-17'],
   15000000, 60000000, 7500000,
   '2024-12-17T00:00:00Z', NULL,
   'https://openai.com/api/pricing (list price as published; entered 2026-11-22)'),
  -- o3 at launch: $10 in, $2.50 cached, $40 out, until the 2025-06-10 price cut.
  ('b120a366-f0bb-49cf-82f2-dc05873f9bd0', NULL, 'openai', 'o3',
   ARRAY['o3-2025-04-16'],
   10000000, 40000000, 2500000,
   '2025-04-16T00:00:00Z', '2025-06-10T00:00:00Z',
   'https://openai.com/api/pricing (list price as published; entered 2026-11-22)'),
  -- o3 after the 2025-06-10 price cut: $2 in, $0.50 cached, $8 out.
  ('78b7d0ac-8477-4ce0-8e4c-da11b43c589b', NULL, 'openai', 'o3',
   ARRAY['o3-2025-04-16'],
   2000000, 8000000, 500000,
   '2025-06-10T00:00:00Z', NULL,
   'https://openai.com/api/pricing (list price as published; entered 2026-11-22)'),
  -- o3-mini: $1.10 in, $0.55 cached, $4.40 out.
  ('2330fcf1-562a-44b8-8866-8d77e827062c', NULL, 'openai', 'o3-mini',
   ARRAY['o3-mini-2025-01-31'],
   1100000, 4400000, 550000,
   '2025-01-31T00:00:00Z', NULL,
   'https://openai.com/api/pricing (list price as published; entered 2026-11-22)'),
  -- o4-mini: $1.10 in, $0.275 cached, $4.40 out.
  ('c1acc990-6424-450a-a36b-f9b3ddcb369d', NULL, 'openai', 'o4-mini',
   ARRAY['o4-mini-2025-04-16'],
   1100000, 4400000, 275000,
   '2025-04-16T00:00:00Z', NULL,
   'https://openai.com/api/pricing (list price as published; entered 2026-11-22)'),
  -- GPT-5: $1.25 in, $0.125 cached, $10 out.
  ('9ad9b9a2-5e78-454d-b065-a1c284cc4549', NULL, 'openai', 'gpt-5',
   ARRAY['gpt-5-2025-08-07'],
   1250000, 10000000, 125000,
   '2025-08-07T00:00:00Z', NULL,
   'https://openai.com/api/pricing (list price as published; entered 2026-11-22)'),
  -- Gemini 2.5 Pro, prompts <= 200K tokens: $1.25 in, $0.31 cached, $10 out (above 200K: $2.50 / $15, under-estimated here). GA date.
  ('99356597-6fba-4662-b6a7-30b7b12e9eed', NULL, 'google', 'gemini-2.5-pro',
   '{}'::text[],
   1250000, 10000000, 310000,
   '2025-06-17T00:00:00Z', NULL,
   'https://ai.google.dev/gemini-api/docs/pricing (list price as published; entered 2026-11-22)'),
  -- Gemini 2.5 Flash (GA): $0.30 in (text), $0.075 cached, $2.50 out.
  ('8df08078-a22e-4180-85c2-c2af3977a654', NULL, 'google', 'gemini-2.5-flash',
   '{}'::text[],
   300000, 2500000, 75000,
   '2025-06-17T00:00:00Z', NULL,
   'https://ai.google.dev/gemini-api/docs/pricing (list price as published; entered 2026-11-22)'),
  -- Gemini 2.0 Flash: $0.10 in (text), $0.025 cached, $0.40 out.
  ('f3194a3b-381e-43e7-952c-466e473a1797', NULL, 'google', 'gemini-2.0-flash',
   ARRAY['gemini-2.0-flash-001'],
   100000, 400000, 25000,
   '2025-02-05T00:00:00Z', NULL,
   'https://ai.google.dev/gemini-api/docs/pricing (list price as published; entered 2026-11-22)'),
  -- Gemini 1.5 Flash, prompts <= 128K: $0.075 in, $0.01875 cached, $0.30 out (after the 2024-08-12 price cut).
  ('c498b6e7-3648-445e-9afa-3a387f006745', NULL, 'google', 'gemini-1.5-flash',
   ARRAY['gemini-1.5-flash-002', 'gemini-1.5-flash-latest'],
   75000, 300000, 18750,
   '2024-08-12T00:00:00Z', NULL,
   'https://ai.google.dev/gemini-api/docs/pricing (list price as published; entered 2026-11-22)'),
  -- Gemini 1.5 Pro, prompts <= 128K: $1.25 in, $0.3125 cached, $5 out (after the 2024-10-01 price cut).
  ('ab57f985-4332-43da-a75a-2e199b58ba8d', NULL, 'google', 'gemini-1.5-pro',
   ARRAY['gemini-1.5-pro-002', 'gemini-1.5-pro-latest'],
   1250000, 5000000, 312500,
   '2024-10-01T00:00:00Z', NULL,
   'https://ai.google.dev/gemini-api/docs/pricing (list price as published; entered 2026-11-22)');
