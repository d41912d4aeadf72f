/** WAI-ARIA tabs: Tab reaches the current one, arrow keys (and Home/End) move between them. */
import { useRef } from 'preact/hooks';

export interface TabSpec<T extends string> {
  id: T;
  label: string;
}

export const panelId = (id: string) => `panel-${id}`;
export const tabId = (id: string) => `tab-${id}`;

export function Tabs<T extends string>({ tabs, current, onChange }: { tabs: TabSpec<T>[]; current: T; onChange: (t: T) => void }) {
  const list = useRef<HTMLDivElement>(null);
  function onKeyDown(e: KeyboardEvent) {
    const i = tabs.findIndex((t) => t.id === current);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    const t = tabs[(next + tabs.length) % tabs.length];
    onChange(t.id);
    list.current?.querySelector<HTMLButtonElement>(`#${tabId(t.id)}`)?.focus();
  }
  return (
    <div class="tabs" role="tablist" aria-label="Views" ref={list} onKeyDown={onKeyDown}>
      {tabs.map((t) => (
        <button key={t.id} type="button" role="tab" id={tabId(t.id)} aria-selected={t.id === current} aria-controls={panelId(t.id)}
          tabIndex={t.id === current ? 0 : -1} onClick={() => onChange(t.id)}>
          {t.label}
        </button>
      ))}
    </div>
  );
}
