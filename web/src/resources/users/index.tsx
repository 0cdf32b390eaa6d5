import { lazy } from 'react';
import { ResourceRoutes } from '../../components/ResourcePages';
import { UsersList } from './UsersList';
import './users.css';

// The profile and the Add page load when opened: they carry the group picker (EntityPicker
// and react-aria's ComboBox), which the list — the first page an admin sees — does not need.
const UserPage = lazy(() => import('./UserPage').then((m) => ({ default: m.UserPage })));
const UserCreate = lazy(() => import('./UserPage').then((m) => ({ default: m.UserCreate })));

export default function UsersResource() {
  return <ResourceRoutes list={<UsersList />} create={<UserCreate />} edit={<UserPage />} />;
}
