/** The signed-in user and their bearer token, kept in localStorage. */
export interface User {
  id: number;
  username: string | null;
  display_name: string;
  school: string;
  is_admin: boolean;
  is_guest: boolean;
}

export interface Session {
  token: string;
  user: User;
  room_id?: string | null;
  role?: string | null;
}

const KEY = 'moke.session';

export function getSession(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function setSession(s: Session | null): void {
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
}

export function token(): string {
  return getSession()?.token ?? '';
}
