import { z } from 'zod';

export const signInSchema = z.object({
  email: z.email('Enter an email address').max(320),
  password: z.string().min(1, 'Enter your password').max(1024),
});

export const setupSchema = z
  .object({
    email: z.email('Enter an email address').max(320),
    password: z.string().min(12, 'Use at least 12 characters').max(1024),
    confirm: z.string(),
    token: z.string().min(1, 'Enter the setup token printed when the portal started').max(200),
  })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'Passwords do not match' });
