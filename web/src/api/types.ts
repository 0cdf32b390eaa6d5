// Every type of the API comes from the schema generated out of ../docs/openapi.json.
import type { components, paths } from './schema';

type Schemas = components['schemas'];

export type User = Schemas['User'];
export type UserInput = Schemas['UserInput'];
export type UserPatch = Schemas['UserPatch'];
export type Role = User['role'];
export type Paths = paths;
export type Session = Schemas['Session'];

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
export type AutoPauseScope = Group['auto_pause_scope'];
export type WaitingMode = Group['waiting_mode'];
export type UserStatus = Schemas['UserStatus'];
export type Forwarding = Schemas['Forwarding'];
export type ForwardingInput = Schemas['ForwardingInput'];
export type Cdr = Schemas['Cdr'];
export type ErrorBody = Schemas['Error'];
export type ErrorCode = ErrorBody['error']['code'];

/// The generator turns `allOf: [Destination], nullable` into an Omit<> that drops the
/// union's members; the wire value is a Destination, so read it as one.
export function asDestination(value: Group['fallback'] | Forwarding['always']): Destination | null {
  return value as Destination | null;
}
