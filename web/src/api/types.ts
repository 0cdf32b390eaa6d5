// Every type of the API comes from the schema generated out of ../docs/openapi.json.
import type { components, paths } from './schema';

type Schemas = components['schemas'];

// TODO(session): remove this block once docs/openapi.json describes the console password
// and /api/v1/session (the server side is being written). The conditional types pick the
// schema's own definitions as soon as they exist, so nothing else changes then.
type PendingUserFields = { has_password: boolean };
type PendingUserInputFields = { password?: string };
type SchemaUser = Schemas['User'];
export type User = SchemaUser extends PendingUserFields
  ? SchemaUser
  : SchemaUser & PendingUserFields;
export type UserInput = Schemas['UserInput'] extends PendingUserInputFields
  ? Schemas['UserInput']
  : Schemas['UserInput'] & PendingUserInputFields;
export type UserPatch = Schemas['UserPatch'] extends PendingUserInputFields
  ? Schemas['UserPatch']
  : Schemas['UserPatch'] & PendingUserInputFields;
export type Role = SchemaUser['role'];
type LocalSession = {
  user: User | null;
  role: Role;
  bootstrap: boolean;
  csrf_token: string;
  expires_at: string;
};
type LocalSessionPaths = {
  '/api/v1/session': {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: {
      parameters: { query?: never; header?: never; path?: never; cookie?: never };
      requestBody?: never;
      responses: {
        200: { headers: Record<string, unknown>; content: { 'application/json': LocalSession } };
      };
    };
    post: {
      parameters: { query?: never; header?: never; path?: never; cookie?: never };
      requestBody: {
        content: {
          'application/json': { email: string; password: string } | { token: string };
        };
      };
      responses: {
        201: { headers: Record<string, unknown>; content: { 'application/json': LocalSession } };
      };
    };
    delete: {
      parameters: { query?: never; header?: never; path?: never; cookie?: never };
      requestBody?: never;
      responses: { 204: { headers: Record<string, unknown>; content?: never } };
    };
    put?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
};
export type Paths = '/api/v1/session' extends keyof paths ? paths : paths & LocalSessionPaths;
export type Session =
  Paths['/api/v1/session']['get']['responses'][200]['content']['application/json'];
// end TODO(session)

export type Group = Schemas['Group'];
export type GroupInput = Schemas['GroupInput'];
export type GroupPatch = Schemas['GroupPatch'];
export type Member = Schemas['Member'];
export type UserMembership = Schemas['UserMembership'];
export type Trunk = Schemas['Trunk'];
export type Referrer = Schemas['Referrer'];
export type RoutingGap = Schemas['RoutingGap'];
export type Destination = Schemas['Destination'];
export type DestinationType = Destination['type'];
export type RingStrategy = Group['ring_strategy'];
export type UserStatus = Schemas['UserStatus'];
export type Cdr = Schemas['Cdr'];
export type ErrorBody = Schemas['Error'];
export type ErrorCode = ErrorBody['error']['code'];

/// The generator turns `allOf: [Destination], nullable` into an Omit<> that drops the
/// union's members; the wire value is a Destination, so read it as one.
export function asDestination(value: Group['fallback']): Destination | null {
  return value as Destination | null;
}
