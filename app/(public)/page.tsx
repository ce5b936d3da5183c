import { redirect } from 'next/navigation';
import { operatorCount } from '@/lib/dal/operators';

export default async function Home() {
  redirect((await operatorCount()) === 0 ? '/setup' : '/tenants');
}
