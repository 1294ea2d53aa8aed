/** Room data shared by the pages: types from the rooms API and helpers around roles. */
import { api } from './api';

export interface Room {
  id: string;
  title: string;
  kind: string;
  subject?: string;
  grade?: string;
  description?: string;
  starts_at?: number | null;
  ends_at?: number | null;
  seats?: number | null;
  archived_at?: number | null;
  role?: string | null;
  my_role?: string | null;
  me?: { role?: string } | null;
}

export interface Venue {
  id: string;
  room_id: string;
  name: string;
  school: string;
  presenter_id: number | null;
  position: number;
}

export interface AgendaSegment {
  id?: string;
  room_id?: string;
  position?: number;
  title: string;
  venue_id: string | null;
  planned_start: number | null;
  duration_minutes: number | null;
  notes: string;
}

export const ROOM_KINDS = ['prep', 'trial', 'showcase', 'live'];
export const ROLES = ['host', 'moderator', 'presenter', 'editor', 'expert', 'observer'];

/** The caller's role, whichever field the server uses for it. */
export function roleOf(room: Room): string | null {
  return room.role ?? room.my_role ?? room.me?.role ?? null;
}

export function canManage(role: string | null): boolean {
  return role === 'host' || role === 'moderator';
}

export function canEdit(role: string | null): boolean {
  return role === 'host' || role === 'moderator' || role === 'presenter' || role === 'editor';
}

export function canComment(role: string | null): boolean {
  return canEdit(role) || role === 'expert';
}

export function getRoom(id: string): Promise<Room> {
  return api<Room>('GET', `/api/rooms/${id}`);
}

/** Lists come either bare or wrapped ({rooms: [...]}, {items: [...]}); accept both. */
export function listOf<T>(data: unknown, key: string): T[] {
  if (Array.isArray(data)) return data as T[];
  const obj = data as Record<string, unknown> | null;
  const v = obj?.[key] ?? obj?.items;
  return Array.isArray(v) ? (v as T[]) : [];
}

export function venueLabel(v: Venue | undefined | null): string {
  if (!v) return '';
  return v.school && v.school !== v.name ? `${v.name}（${v.school}）` : v.name;
}
