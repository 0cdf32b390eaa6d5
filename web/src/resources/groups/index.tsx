import { Route, Routes } from 'react-router';
import { GroupsList } from './GroupsList';
import { GroupPage } from './GroupPage';
import './groups.css';

export default function GroupsResource() {
  return (
    <Routes>
      <Route index element={<GroupsList />} />
      <Route path=":id/*" element={<GroupPage />} />
    </Routes>
  );
}
