import type { TraceEntry, TraceSummary } from '../api/portal-types.js';
import { api } from '../app/session.js';
import { link } from '../app/router.js';
import { useT } from '../i18n/i18n.js';
import { Loaded, Panel } from '../ui/panel.js';
import { useAsync } from '../ui/use-async.js';
import type { PageProps } from '../app/route-types.js';
import '../portal/portal.css';

/** Admin: recent calls, and the ladder of one (`/admin/calls/:id`). */
export default function AdminCallsPage({ params }: PageProps) {
  const t = useT();
  const recent = useAsync(() => api.request<TraceSummary[]>('GET', '/api/v1/admin/calls/recent'));
  return (
    <>
      <h1>{t('nav.adminCalls')}</h1>
      <Panel title={t('p.recentCalls')} testid="recent-calls">
        <Loaded a={recent}>
          {(calls) => (
            <table class="list">
              <tbody>
                {calls.map((c) => (
                  <tr key={c.id} data-call={c.id}>
                    <td>{new Date(c.startedAt).toLocaleTimeString()}</td>
                    <td>
                      {c.caller?.number ?? '?'} → {c.callee?.number ?? '?'}
                    </td>
                    <td>{c.group ?? ''}</td>
                    <td>{c.outcome ?? ''}</td>
                    <td>
                      <a href={`/admin/calls/${c.id}`} onClick={link}>
                        {t('p.ladder')}
                      </a>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Loaded>
        <button onClick={recent.reload}>{t('p.refresh')}</button>
      </Panel>
      {params['id'] ? <Ladder id={params['id']} /> : null}
    </>
  );
}

function Ladder({ id }: { id: string }) {
  const t = useT();
  const a = useAsync(
    () =>
      api.request<{ call: TraceSummary; entries: TraceEntry[] }>(
        'GET',
        `/api/v1/admin/calls/${encodeURIComponent(id)}/trace`,
      ),
    [id],
  );
  return (
    <Panel title={t('p.ladderOf', { id })} testid="ladder">
      <Loaded a={a}>
        {(tr) => {
          const legs = [...new Set(tr.entries.filter((e) => e.leg).map((e) => e.leg!))];
          return (
            <table class="ladder">
              <thead>
                <tr>
                  <th>ms</th>
                  <th>{t('p.pbx')}</th>
                  {legs.map((l) => (
                    <th key={l}>{l}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {tr.entries.map((e, i) => (
                  <tr key={i} class={`k-${e.kind}`}>
                    <td>+{e.atMs}</td>
                    {e.kind === 'sip' ? (
                      <>
                        <td />
                        {legs.map((l) => (
                          <td key={l}>
                            {l === e.leg ? (
                              <details>
                                <summary>
                                  {e.direction === 'in' ? '→ ' : '← '}
                                  {e.line}
                                </summary>
                                <pre>
                                  {e.peer}
                                  {'\n'}
                                  {Object.entries(e.sip?.headers ?? {})
                                    .map(([k, v]) => `${k}: ${v}`)
                                    .join('\n')}
                                  {e.sip?.body ? `\n\n${e.sip.body}` : ''}
                                </pre>
                              </details>
                            ) : null}
                          </td>
                        ))}
                      </>
                    ) : (
                      <td colSpan={legs.length + 1}>
                        <em>{e.line}</em>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          );
        }}
      </Loaded>
    </Panel>
  );
}
