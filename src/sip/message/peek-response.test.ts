import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { peekResponse } from './peek-response.js';

const LINES = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKabc;rport=5060;received=192.0.2.1',
  'From: <sip:101@acme.example>;tag=ours',
  'To: <sip:phone@acme.example>;tag=theirs',
  'Call-ID: sub-1@192.0.2.7',
  'CSeq: 42 NOTIFY',
  'Content-Length: 0',
];

function bytes(lines: string[], end = '\r\n'): Buffer {
  return Buffer.from(lines.join(end) + end + end, 'latin1');
}

describe('peekResponse (matching fields of a response without a full parse)', () => {
  it('reads status line, branch, CSeq method and Call-ID; names in any case, with blanks before the colon', () => {
    assert.deepEqual(peekResponse(bytes(LINES)), {
      status: 200,
      reason: 'OK',
      branch: 'z9hG4bKabc',
      method: 'NOTIFY',
      callId: 'sub-1@192.0.2.7',
    });
    const odd = LINES.map((l) => l.replace(/^CSeq:/, 'cseq :').replace(/^Call-ID:/, 'CALL-ID:'));
    const g = peekResponse(bytes(['SIP/2.0 481 Call/Transaction Does Not Exist', ...odd.slice(1)]));
    assert.equal(g?.status, 481);
    assert.equal(g?.reason, 'Call/Transaction Does Not Exist');
    assert.equal(g?.method, 'NOTIFY');
    assert.equal(g?.callId, 'sub-1@192.0.2.7');
    const blanks = LINES.map((l) =>
      l.replace(/^Call-ID: (.*)$/, 'Call-ID:\t $1 \t').replace(/^CSeq: /, 'CSeq:\t'),
    );
    assert.equal(peekResponse(bytes(blanks))?.callId, 'sub-1@192.0.2.7');
    assert.equal(peekResponse(bytes(blanks))?.method, 'NOTIFY');
  });

  it('leaves to the full parser whatever it does not expect', () => {
    const swap = (i: number, line: string): string[] => LINES.map((l, k) => (k === i ? line : l));
    const refused: Array<[string, Buffer]> = [
      ['a request', bytes(['NOTIFY sip:x@y SIP/2.0', ...LINES.slice(1)])],
      ['status out of range', bytes(swap(0, 'SIP/2.0 099 Odd'))],
      ['status not digits', bytes(swap(0, 'SIP/2.0 2x0 OK'))],
      ['two Via lines', bytes([...LINES, 'Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKother'])],
      ['a Via list', bytes(swap(1, `${LINES[1]}, SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKother`))],
      ['a compact Via', bytes(swap(1, LINES[1]!.replace('Via:', 'v:')))],
      ['a Via without branch', bytes(swap(1, 'Via: SIP/2.0/UDP 192.0.2.1:5060'))],
      ['a malformed Via', bytes(swap(1, 'Via: SIP/2.0 192.0.2.1;branch=z9hG4bKabc'))],
      ['a malformed CSeq', bytes(swap(5, 'CSeq: NOTIFY 42'))],
      ['no CSeq', bytes(LINES.filter((l) => !l.startsWith('CSeq')))],
      ['no To', bytes(LINES.filter((l) => !l.startsWith('To')))],
      ['two Call-IDs', bytes([...LINES, 'Call-ID: other'])],
      ['a Call-ID with blanks', bytes(swap(4, 'Call-ID: a b'))],
      ['a folded line', bytes([...LINES.slice(0, 3), ' ;more', ...LINES.slice(3)])],
      ['bare LF line ends', bytes(LINES, '\n')],
      ['no end of the header section', Buffer.from(LINES.join('\r\n'), 'latin1')],
    ];
    for (const [why, b] of refused) assert.equal(peekResponse(b), undefined, why);
  });
});
