import { describe, expect, it } from 'vitest';
import { asChat, CHAT_MAX_MESSAGES } from './chat';

const j = (v: unknown) => JSON.stringify(v);

describe('asChat', () => {
  it('reads an OpenAI request with tool calls and a tool result', () => {
    const chat = asChat(j({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Oslo?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: '4 °C' },
      ],
    }));
    expect(chat?.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(chat?.[2]?.toolCalls).toEqual([{ name: 'weather', arguments: '{"city":"Oslo"}', id: 'c1' }]);
    expect(chat?.[3]).toMatchObject({ text: '4 °C', toolCallId: 'c1' });
  });

  it('reads an OpenAI response through its choices', () => {
    expect(asChat(j({ id: 'x', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' } }] }))).toEqual([
      { role: 'assistant', text: 'Hi', toolCalls: [], toolCallId: null },
    ]);
  });

  it('reads Anthropic blocks, the top-level system and tool_use', () => {
    const chat = asChat(j({
      system: 'You are terse.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Add 2+2' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Using the tool.' }, { type: 'tool_use', id: 't1', name: 'add', input: { a: 2, b: 2 } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: '4' }] }],
    }));
    expect(chat?.[0]).toMatchObject({ role: 'system', text: 'You are terse.' });
    expect(chat?.[2]?.toolCalls[0]).toMatchObject({ name: 'add', id: 't1' });
    expect(JSON.parse(chat?.[2]?.toolCalls[0]?.arguments ?? '')).toEqual({ a: 2, b: 2 });
    expect(chat?.[3]).toMatchObject({ text: '4', toolCallId: 't1' });
  });

  it('reads an Anthropic response (one message)', () => {
    expect(asChat(j({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Done.' }] }))?.[0]?.text).toBe('Done.');
  });

  it('reads Gemini contents and candidates; "model" is the assistant', () => {
    expect(asChat(j({ contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] }))?.[0]).toMatchObject({ role: 'user', text: 'Hello' });
    const out = asChat(j({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hi' }, { functionCall: { name: 'f', args: { x: 1 } } }] } }] }));
    expect(out?.[0]).toMatchObject({ role: 'assistant', text: 'Hi' });
    expect(out?.[0]?.toolCalls[0]?.name).toBe('f');
  });

  it('reads the OpenTelemetry GenAI message shape (parts with content)', () => {
    const chat = asChat(j([{ role: 'user', parts: [{ type: 'text', content: 'Weather?' }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'c', name: 'weather', arguments: { city: 'Paris' } }], finish_reason: 'tool_call' }]));
    expect(chat?.[0]?.text).toBe('Weather?');
    expect(chat?.[1]?.toolCalls[0]?.name).toBe('weather');
  });

  it('answers null for what is not a conversation', () => {
    for (const payload of [null, '', 'plain text', '42', '{"a":1}', '[1,2]', '[{"role":"user"},{"x":1}]', '{not json', j({ role: 'admin' }), j([])]) {
      expect(asChat(payload)).toBeNull();
    }
  });

  it('keeps at most CHAT_MAX_MESSAGES', () => {
    const many = Array.from({ length: CHAT_MAX_MESSAGES + 5 }, (_, i) => ({ role: 'user', content: String(i) }));
    expect(asChat(j(many))).toHaveLength(CHAT_MAX_MESSAGES);
  });
});
