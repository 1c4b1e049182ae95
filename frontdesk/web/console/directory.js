// Departments and agents (docs/api.md, "Departments, agents and routing"): fetched on demand,
// shared by the waiting-list filter, the transfer dialog and the settings page.

import { get } from './api.js';

const FRESH_MS = 15000;

export class Directory {
  constructor(onChange) {
    this.onChange = onChange || (() => {});
    this.departments = [];
    this.users = [];
    this.state = {
      departments: { at: 0, loading: null, error: null, loaded: false },
      users: { at: 0, loading: null, error: null, loaded: false },
    };
  }

  /** Loads departments unless a recent copy is held; resolves to the list (never rejects). */
  loadDepartments(force = false) {
    return this.load('departments', '/api/v1/departments', force);
  }

  loadUsers(force = false) {
    return this.load('users', '/api/v1/users', force);
  }

  load(what, path, force) {
    const st = this.state[what];
    if (st.loading) return st.loading;
    if (!force && st.loaded && Date.now() - st.at < FRESH_MS) return Promise.resolve(this[what]);
    st.loading = (async () => {
      try {
        const r = await get(path);
        const list = Array.isArray(r) ? r : (r && Array.isArray(r[what]) ? r[what] : []);
        this[what] = list;
        st.loaded = true;
        st.error = null;
        st.at = Date.now();
      } catch (err) {
        st.error = err;
      } finally {
        st.loading = null;
        this.onChange(what);
      }
      return this[what];
    })();
    return st.loading;
  }

  department(id) {
    return this.departments.find((d) => Number(d.id) === Number(id)) || null;
  }

  user(id) {
    return this.users.find((u) => Number(u.id) === Number(id)) || null;
  }

  /** Replaces or adds one department (after a save), keeping the list order by name. */
  putDepartment(dept) {
    if (!dept || dept.id == null) return;
    const i = this.departments.findIndex((d) => Number(d.id) === Number(dept.id));
    if (i >= 0) this.departments[i] = { ...this.departments[i], ...dept };
    else this.departments.push(dept);
    this.onChange('departments');
  }

  removeDepartment(id) {
    this.departments = this.departments.filter((d) => Number(d.id) !== Number(id));
    this.onChange('departments');
  }

  putUser(user) {
    if (!user || user.id == null) return;
    const i = this.users.findIndex((u) => Number(u.id) === Number(user.id));
    if (i >= 0) this.users[i] = { ...this.users[i], ...user };
    else this.users.push(user);
    this.onChange('users');
  }
}

/** Department names of a user: accepts `["sales"]`, `[{slug, name, level}]` or `[{id}]`. */
export function userDepartments(user, directory) {
  const out = [];
  for (const d of (user && user.departments) || []) {
    if (d == null) continue;
    if (typeof d === 'string') {
      const known = directory && directory.departments.find((x) => x.slug === d);
      out.push(known ? { id: known.id, slug: d, name: known.name } : { slug: d, name: d });
    } else if (typeof d === 'number') {
      const known = directory && directory.department(d);
      if (known) out.push({ id: known.id, slug: known.slug, name: known.name });
    } else if (typeof d === 'object') {
      const known = directory && (d.id != null ? directory.department(d.id) : directory.departments.find((x) => x.slug === d.slug));
      out.push({
        id: d.id ?? (known && known.id), slug: d.slug || (known && known.slug),
        name: d.name || (known && known.name) || d.slug, level: d.level,
      });
    }
  }
  return out;
}
