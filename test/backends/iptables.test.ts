/** The iptables backend's conformance cases that need no root (test/backend-suite). */
import { backendSuite } from '../backend-suite/index.js';
import { IPTABLES } from './iptables.js';

backendSuite(IPTABLES);
