/** Studio data shared by the studio pages: types from the studios API and small helpers. */
import type { Room } from './rooms';

export interface Counts {
  host: number;
  core: number;
  participant: number;
}

export interface Studio {
  id: string;
  name: string;
  subject: string;
  grade_band: string;
  description: string;
  host_id: number;
  host_name: string;
  created_at: number;
  archived_at: number | null;
  counts: Counts;
  limits: Counts;
  my_role: string | null;
}

export interface StudioMember {
  user_id: number;
  display_name: string;
  school: string;
  role: string;
  joined_at: number;
}

export interface StudioInvite {
  id: string;
  code: string;
  link: string;
  role: string;
  uses: number;
  max_uses: number | null;
  revoked_at: number | null;
}

export interface Activity {
  room: Room;
  studio_id: string;
  roles: Record<string, string>;
  cycle_id: string | null;
  position: number | null;
  stage: string;
  doc_id: string | null;
}

export interface Cycle {
  id: string;
  studio_id: string;
  title: string;
  created_at: number;
  steps: Activity[];
}

export interface Draft {
  number: number;
  name: string;
  room_id: string;
  doc_id: string;
  version_id: string;
}

export interface DiffChange {
  before: string;
  removed: string;
  added: string;
}

export interface DiffSection {
  section: string;
  status: 'changed' | 'added' | 'removed';
  changes: DiffChange[];
}

export interface Recording {
  id: string;
  status: string;
  started_at: number;
  duration: number;
  url: string;
}

export interface Observation {
  run_id: string;
  instrument: string;
  instrument_name: string;
  observers: number;
  metrics: { key: string; title: string }[];
  codes: { key: string; title: string }[];
  result: { n: number; counts: Record<string, number>; metrics: Record<string, number | null>; type_title: string | null };
}

export interface Trial {
  room_id: string;
  title: string;
  stage: string;
  position: number;
  starts_at: number | null;
  recordings: Recording[];
  rubric: { name: string; evaluations: number; scale: { min: number; max: number }; criteria: { key: string; title: string; mean: number | null }[] } | null;
  observation: Observation[];
}

export interface CycleView {
  cycle: Cycle;
  drafts: Draft[];
  diffs: { from: string; to: string; sections: DiffSection[] }[];
  trials: Trial[];
  criteria: { key: string; title: string; means: (number | null)[] }[];
}

export const STUDIO_ROLES = ['host', 'core', 'participant'];
export const STAGES = ['prep', 'trial', 'showcase'];

/** Who may run activities and cycles, invite, manage members (studios/permissions.py). */
export function canRun(role: string | null): boolean {
  return role === 'host' || role === 'core';
}
