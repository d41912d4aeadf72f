/** The iptables backend's conformance cases that load kernels in ps- namespaces (root; test/backend-suite). */
import { backendSuite } from '../backend-suite/index.js';
import { IPTABLES } from './iptables.js';

backendSuite(IPTABLES);
