/** Tenants: every connection and call belongs to one; callers without a tenant of their own use this one. */
export const DEFAULT_TENANT = 'default';
