/** Password login against the built-in Keystone. */
import { useState } from 'preact/hooks';
import { login, type Session } from '../session.js';

export function Login({ onLogin, notice }: { onLogin: (s: Session) => void; notice?: string }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [project, setProject] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onLogin(await login(user, password, project || undefined));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  }

  return (
    <main class="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">portsec console</h1>
        <p class="hint">Log in with a Keystone user of this server.</p>
        {notice && <p class="notice" role="status">{notice}</p>}
        <label>
          User
          <input name="user" autocomplete="username" required value={user} onInput={(e) => setUser(e.currentTarget.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required value={password}
            onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <label>
          Project <span class="hint">(optional)</span>
          <input name="project" value={project} onInput={(e) => setProject(e.currentTarget.value)} />
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? 'Logging in…' : 'Log in'}</button>
      </form>
    </main>
  );
}
