export * from './tenants';
export * from './operators';
export * from './audit';
export * from './sso';
export * from './connections';
export * from './users';
export * from './directories';
export * from './portal-links';
