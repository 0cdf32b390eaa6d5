import { ResourceRoutes } from '../../components/ResourcePages';
import { UsersList } from './UsersList';
import { UserCreate, UserPage } from './UserPage';
import './users.css';

export default function UsersResource() {
  return <ResourceRoutes list={<UsersList />} create={<UserCreate />} edit={<UserPage />} />;
}
