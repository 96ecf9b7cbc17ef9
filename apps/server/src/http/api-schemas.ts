import { z } from '@hono/zod-openapi';

export const Email = z.email().max(254).openapi({ example: 'ada@example.com' });
// NIST SP 800-63B: at least 8; we ask 12 and allow long passphrases, bounded so hashing stays cheap.
export const Password = z.string().min(12).max(256);

export const User = z
  .object({
    id: z.uuid(),
    email: z.string(),
    plan: z.enum(['free', 'pro', 'team']),
    createdAt: z.iso.datetime(),
  })
  .openapi('User');

export const UserResponse = z.object({ user: User });

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      requestId: z.string(),
      field: z.string().optional(),
    }),
  })
  .openapi('Error');

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  content: { 'application/json': { schema } },
  required: true,
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const errorResponses = {
  400: jsonResponse(ErrorResponse, 'Malformed JSON or a field that fails validation (named in `field`)'),
  401: jsonResponse(ErrorResponse, 'Not signed in, or bad credentials'),
  403: jsonResponse(ErrorResponse, 'Cross-site request rejected'),
} as const;

export type UserRow = { id: string; email: string; plan: string; createdAt: Date };

export function toUser(row: UserRow): z.infer<typeof User> {
  return { id: row.id, email: row.email, plan: row.plan as 'free', createdAt: row.createdAt.toISOString() };
}
