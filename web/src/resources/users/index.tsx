import { Route, Routes } from 'react-router';
import { UsersList } from './UsersList';
import { UserCreate, UserPage } from './UserPage';
import './users.css';

export default function UsersResource() {
  return (
    <Routes>
      <Route index element={<UsersList />} />
      <Route path="new" element={<UserCreate />} />
      <Route path=":id" element={<UserPage />} />
    </Routes>
  );
}
