import { demoMetadata } from '@/lib/demo/pages';

export const GET = () => demoMetadata();
