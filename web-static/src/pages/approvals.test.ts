import { describe, expect, it } from 'vitest';
import type { Schemas } from '../api/client';
import { ApiError } from '../api/errors';
import { approvalAction, approvalActionType, approvalStatus, decisionReasonText, finalRefusal, mayDecide, queueSignature, requestedByMe, roleNames, tabOf, timeLeft } from './approvals';

type Approval = Schemas['ApprovalView'];
const request = (requested_by: Approval['requested_by'], approval_required_from = ['admin', 'team_lead']) => ({ requested_by, approval_required_from });
const me = { id: 'u1', role: 'admin' };
const refusal = (status: number, code: string) => new ApiError({ status, code, title: code, detail: code });

describe('the approvals page', () => {
  it('opens the tab the URL names, pending otherwise', () => {
    expect(tabOf(new URLSearchParams('status=expired'))).toBe('expired');
    expect(tabOf(new URLSearchParams('status=bogus'))).toBe('pending');
    expect(tabOf(new URLSearchParams())).toBe('pending');
  });

  it('maps statuses to badges, and shows an unknown one as it is', () => {
    expect(approvalStatus('approved')).toEqual({ label: 'Approved', kind: 'success', help: null });
    expect(approvalStatus('expired').help).toBe('Nobody decided in time: the agent was told no.');
    expect(approvalStatus('withdrawn')).toEqual({ label: 'withdrawn', kind: 'neutral', help: null });
    expect(decisionReasonText('org_killed')).toBe('Rejected by the kill switch');
    expect(decisionReasonText('other')).toBe('other');
    expect(decisionReasonText(null)).toBe('');
  });

  it('counts down in seconds, minutes or hours', () => {
    expect(timeLeft(7_200)).toBe('8 s');
    expect(timeLeft(-5)).toBe('0 s');
    expect(timeLeft(245_000)).toBe('4 min 05 s');
    expect(timeLeft(3_720_000)).toBe('1 h 02 min');
  });

  it('names the roles that may decide', () => {
    expect(roleNames([])).toBe('nobody');
    expect(roleNames(['admin'])).toBe('Admin');
    expect(roleNames(['admin', 'team_lead', 'auditor'])).toBe('Admin, Team lead or auditor');
  });

  it('reads the action from the context, whatever shape it came in', () => {
    expect(approvalAction({ context: { action: { type: 'refund', amount: 5 } } })).toEqual({ type: 'refund', amount: 5 });
    expect(approvalActionType({ context: { action: { type: 'refund' } } })).toBe('refund');
    expect(approvalActionType({ context: { action: 'refund' } })).toBe('an action');
    expect(approvalActionType({ context: null })).toBe('an action');
  });

  it('lets decide a role the request names, with approvals_decide, never whoever asked', () => {
    expect(mayDecide(request({ type: 'api_key', id: 'k1' }), me, true)).toBe(true);
    expect(mayDecide(request({ type: 'api_key', id: 'k1' }), me, false)).toBe(false);
    expect(mayDecide(request({ type: 'api_key', id: 'k1' }, ['team_lead']), me, true)).toBe(false);
    expect(mayDecide(request({ type: 'user', id: 'u1' }), me, true)).toBe(false);
    expect(mayDecide(request({ type: 'user', id: 'u2' }), me, true)).toBe(true);
    expect(mayDecide(request({ type: 'user', id: 'u1' }), null, true)).toBe(false);
    // An API key's requests are never a person's own, even with the same id.
    expect(requestedByMe(request({ type: 'api_key', id: 'u1' }), me)).toBe(false);
  });

  it('offers no retry after a refusal that no retry changes', () => {
    expect(finalRefusal(refusal(409, 'approval_decided'))).toBe('Someone has already decided this request.');
    expect(finalRefusal(refusal(404, 'not_found'))).toBe('The request no longer exists.');
    expect(finalRefusal(refusal(422, 'validation_failed'))).toBeNull();
    expect(finalRefusal(refusal(409, 'something_else'))).toBeNull();
    expect(finalRefusal(new Error('x'))).toBeNull();
  });

  it('redraws the queue only when its requests change', () => {
    expect(queueSignature([{ id: 'a' }, { id: 'b' }], false)).toBe('false|a,b');
    expect(queueSignature([{ id: 'a' }, { id: 'b' }], true)).not.toBe(queueSignature([{ id: 'a' }, { id: 'b' }], false));
  });
});
