/** The graph's look: pair widths by colour, findings in red (critical, high) or amber (medium). */
import type { StylesheetJson } from 'cytoscape';
import { type Width, WIDTHS } from './pairs.js';

const INK = '#1f2328';
export const MUTED = '#57606a';
export const RED = '#c21c2c';
export const AMBER = '#9a6700';
const FOCUS = '#0550ae';

/** A collapsed group's box, in model units (the grid and the underlay's loops are laid out around it). */
export const GROUP = { width: 150, height: 48 };
/** A collapsed cluster's box, in model units */
export const CLUSTER = { width: 300, height: 120 };

const widthStyles: StylesheetJson = (Object.keys(WIDTHS) as Width[]).map((w) => ({
  selector: `node.width-${w}`,
  style: { 'border-color': WIDTHS[w].colour, 'border-width': 3 },
}));

export const graphStyle: StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      color: INK,
      'font-family': 'system-ui, sans-serif',
      'text-wrap': 'wrap',
      'min-zoomed-font-size': 7,
      shape: 'round-rectangle',
      'background-color': '#ffffff',
      'border-color': MUTED,
      'border-width': 1.5,
    },
  },
  {
    selector: 'node.group.collapsed',
    style: { ...GROUP, 'font-size': 12, 'text-valign': 'center', 'text-max-width': '140px' },
  },
  {
    selector: 'node.group.expanded',
    style: {
      'background-color': '#f6f8fa',
      'font-size': 13,
      'font-weight': 'bold',
      'text-valign': 'top',
      'text-margin-y': -4,
      padding: '14px',
    },
  },
  {
    selector: 'node.port',
    style: { width: 140, height: 52, 'font-size': 11, 'text-valign': 'center', 'text-max-width': '132px' },
  },
  ...widthStyles,
  {
    selector: 'node[badge]',
    style: {
      'background-image': 'data(badge)',
      'background-fit': 'none',
      'background-position-x': '100%',
      'background-position-y': '0%',
      'background-offset-x': 8,
      'background-offset-y': -9,
      'background-clip': 'none',
      'background-image-containment': 'over',
      'bounds-expansion': 10,
    },
  },
  {
    selector: 'edge',
    style: {
      width: 2,
      'line-color': MUTED,
      'target-arrow-color': MUTED,
      'target-arrow-shape': 'triangle',
      'curve-style': 'bezier',
      label: 'data(label)',
      'font-size': 11,
      color: INK,
      'text-wrap': 'wrap',
      'text-max-width': '220px',
      'text-background-color': '#ffffff',
      'text-background-opacity': 0.92,
      'text-background-padding': '2px',
      'min-zoomed-font-size': 8,
    },
  },
  {
    // labels along their edge, lifted off the line, so that crossing edges' labels do not sit on one another
    selector: 'edge[label]',
    style: { 'text-rotation': 'autorotate', 'text-margin-y': -10, 'text-max-width': '180px' },
  },
  // many edges: labelled only when selected or hovered
  { selector: 'edge.quiet', style: { label: '' } },
  { selector: 'edge.quiet:selected, edge.quiet.hover', style: { label: 'data(label)', 'z-index': 10 } },
  // an ALLOW that exists only through a finding: dashed, on top
  { selector: 'edge.through-finding', style: { 'line-style': 'dashed', 'line-dash-pattern': [8, 4], 'z-index': 5 } },
  {
    // a large cloud's clusters and projects: labelled boxes that open when selected
    selector: 'node.cluster.collapsed, node.project.collapsed',
    // large type: a thousand groups' clusters are drawn small, and their labels must still read
    style: { ...CLUSTER, 'font-size': 22, 'text-valign': 'center', 'text-max-width': '290px', 'border-width': 3, 'background-color': '#f6f8fa', 'min-zoomed-font-size': 5 },
  },
  {
    selector: 'node.cluster.expanded, node.project.expanded',
    style: { 'background-color': '#fbfcfd', 'border-style': 'dashed', 'font-size': 24, 'font-weight': 'bold', 'text-valign': 'top', 'text-margin-y': -4, padding: '18px', 'min-zoomed-font-size': 5 },
  },
  {
    // a group naming itself (the default group does): a loop wide enough to leave the node
    selector: 'edge.loop',
    style: { 'loop-direction': '-45deg', 'loop-sweep': '-70deg', 'control-point-step-size': 90, 'text-margin-y': -30 },
  },
  { selector: 'node.finding-amber', style: { 'outline-color': AMBER, 'outline-width': 4, 'outline-offset': 2 } },
  { selector: 'node.finding-red', style: { 'outline-color': RED, 'outline-width': 4, 'outline-offset': 2, color: RED } },
  { selector: 'edge.finding-amber', style: { 'line-color': AMBER, 'target-arrow-color': AMBER, width: 4 } },
  { selector: 'edge.finding-red', style: { 'line-color': RED, 'target-arrow-color': RED, width: 4, color: RED, 'font-weight': 'bold' } },
  {
    selector: ':selected',
    style: { 'underlay-color': FOCUS, 'underlay-opacity': 0.25, 'underlay-padding': 8 },
  },
  { selector: 'node:active, edge:active', style: { 'overlay-opacity': 0.08 } },
];
