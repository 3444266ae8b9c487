/** `restart`, the pure half (shared with undo: actions/undo/plan.ts). */
import type { RestartAction } from '../../rule-table/schema.js';
import { rolloutPlan } from '../undo/plan.js';

export const restartPlan = rolloutPlan<RestartAction>('restart');
