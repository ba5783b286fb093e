/** The roles a token may hold; steps, gates and routes name the role that may act. */
export const ROLES = ['viewer', 'operator', 'sre', 'tech-lead', 'cto', 'product-manager'] as const;
export type RoleName = (typeof ROLES)[number];
