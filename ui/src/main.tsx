/**
 * The page's entry, small: with a session, the data is fetched while the
 * console's own code (mostly cytoscape) loads and compiles.
 */
import { render } from 'preact';
import { Api } from './api.js';
import { prefetch } from './live.js';
import { savedSession } from './session.js';
import './styles.css';

const session = savedSession();
if (session) prefetch(new Api(session.token));
void import('./App.js').then(({ App }) => render(<App />, document.getElementById('app')!));
