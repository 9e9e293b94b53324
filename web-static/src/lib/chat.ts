// Model inputs and outputs as chat messages, when they are. Agents record what they sent and got in the shape of their
// provider or of OpenTelemetry's GenAI conventions; the run view shows those as a conversation instead of raw JSON.
// Pure: a payload that is not recognizably a conversation answers null and is shown as it is.

export interface ToolCall {
  name: string;
  /** Arguments as sent (JSON text, or the object re-serialized). */
  arguments: string;
  id: string | null;
}

export interface ChatMessage {
  /** system, user, assistant, tool, … as the payload says (Gemini's "model" reads as assistant). */
  role: string;
  text: string;
  toolCalls: ToolCall[];
  /** For a tool result: the call it answers. */
  toolCallId: string | null;
}

/** Messages shown at most; the rest stays readable in the raw view. */
export const CHAT_MAX_MESSAGES = 200;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const asText = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v, null, 2));

/** The messages of a payload (JSON text), or null when it is not a conversation. */
export function asChat(payload: string | null | undefined): ChatMessage[] | null {
  if (!payload) return null;
  const trimmed = payload.trimStart();
  if (trimmed[0] !== '[' && trimmed[0] !== '{') return null;
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null;
  }
  const messages = messagesOf(value);
  return messages && messages.length ? messages.slice(0, CHAT_MAX_MESSAGES) : null;
}

function messagesOf(value: unknown): ChatMessage[] | null {
  if (Array.isArray(value)) return listOf(value);
  if (!isObj(value)) return null;
  // OpenAI chat completion response: choices[].message
  if (Array.isArray(value.choices)) {
    const list = value.choices.map((c) => (isObj(c) && isObj(c.message) ? message(c.message) : null));
    return list.every((m) => m) ? (list as ChatMessage[]) : null;
  }
  // Gemini response: candidates[].content
  if (Array.isArray(value.candidates)) {
    const list = value.candidates.map((c) => (isObj(c) && isObj(c.content) ? message(c.content) : null));
    return list.every((m) => m) ? (list as ChatMessage[]) : null;
  }
  // A request: { messages } (OpenAI, Anthropic with a top-level system), { contents } (Gemini), { input } (Responses)
  const list = Array.isArray(value.messages) ? value.messages : Array.isArray(value.contents) ? value.contents : Array.isArray(value.input) ? value.input : null;
  if (list) {
    const messages = listOf(list);
    if (!messages) return null;
    const system = systemText(value.system ?? value.systemInstruction ?? value.instructions);
    return system ? [{ role: 'system', text: system, toolCalls: [], toolCallId: null }, ...messages] : messages;
  }
  // One message (an Anthropic response is one: { role: 'assistant', content: [blocks] })
  const one = message(value);
  return one ? [one] : null;
}

function listOf(items: readonly unknown[]): ChatMessage[] | null {
  const list = items.map((m) => (isObj(m) ? message(m) : null));
  return list.length && list.every((m) => m) ? (list as ChatMessage[]) : null;
}

function systemText(v: unknown): string | null {
  if (typeof v === 'string') return v || null;
  if (Array.isArray(v)) return v.map((b) => (isObj(b) ? str(b.text) ?? '' : asText(b))).join('\n') || null;
  if (isObj(v) && Array.isArray(v.parts)) return v.parts.map((p) => (isObj(p) ? str(p.text) ?? '' : '')).join('\n') || null;
  return null;
}

/** A message: needs a role; its text from content (string or blocks) or parts (Gemini, GenAI conventions). */
function message(m: Obj): ChatMessage | null {
  const rawRole = str(m.role);
  if (!rawRole) return null;
  const role = rawRole === 'model' ? 'assistant' : rawRole;
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  let toolCallId = str(m.tool_call_id);
  const blocks = Array.isArray(m.content) ? m.content : Array.isArray(m.parts) ? m.parts : null;
  if (typeof m.content === 'string') texts.push(m.content);
  else if (blocks) {
    for (const b of blocks) {
      if (typeof b === 'string') { texts.push(b); continue; }
      if (!isObj(b)) continue;
      const type = str(b.type);
      if (type === 'tool_use' || type === 'tool_call' || isObj(b.functionCall)) {
        const call = isObj(b.functionCall) ? b.functionCall : b;
        toolCalls.push({ name: str(call.name) ?? 'tool', arguments: asText(call.input ?? call.arguments ?? call.args ?? {}), id: str(call.id) });
      } else if (type === 'tool_result' || type === 'tool_call_response' || isObj(b.functionResponse)) {
        toolCallId ??= str(b.tool_use_id) ?? str(b.id);
        const result = isObj(b.functionResponse) ? b.functionResponse.response : b.content ?? b.response ?? b.result;
        texts.push(Array.isArray(result) ? result.map((r) => (isObj(r) ? str(r.text) ?? asText(r) : asText(r))).join('\n') : asText(result));
      } else if (typeof b.text === 'string') texts.push(b.text);
      else if (typeof b.content === 'string') texts.push(b.content);
      else if (type) texts.push(`[${type}]`);
    }
  } else if (m.content !== undefined && m.content !== null) return null;
  for (const c of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
    if (!isObj(c)) continue;
    const fn = isObj(c.function) ? c.function : c;
    toolCalls.push({ name: str(fn.name) ?? 'tool', arguments: asText(fn.arguments ?? {}), id: str(c.id) });
  }
  if (!texts.length && !toolCalls.length && m.content === undefined && !blocks) return null;
  return { role, text: texts.join('\n'), toolCalls, toolCallId };
}
