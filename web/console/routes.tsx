import type { JSX } from 'preact';
import { ApiProblem } from './api';
import { CasePage, CasesPage } from './pages/cases';
import { DisclosurePage, DisclosuresPage } from './pages/disclosures';
import { EvidencePage } from './pages/evidence';
import { InboxPage } from './pages/inbox';
import { OrderPage, OrdersPage } from './pages/orders';
import { match } from './router';
import { ProblemMessage } from './ui';

type Route = readonly [pattern: string, page: (params: Record<string, string>) => JSX.Element];

/** Every page of the console by its path; the ids in paths are the API's ids (never a token). */
const ROUTES: readonly Route[] = [
  ['/cases', () => <CasesPage />],
  ['/cases/:id', ({ id = '' }) => <CasePage id={id} />],
  ['/evidence/:id', ({ id = '' }) => <EvidencePage id={id} />],
  ['/inbox', () => <InboxPage />],
  ['/orders', () => <OrdersPage />],
  ['/orders/:id', ({ id = '' }) => <OrderPage id={id} />],
  ['/disclosures', () => <DisclosuresPage />],
  ['/disclosures/:id', ({ id = '' }) => <DisclosurePage id={id} />],
];

export function routeOf(path: string): JSX.Element {
  for (const [pattern, page] of ROUTES) {
    const params = match(pattern, path);
    if (params) return page(params);
  }
  return <ProblemMessage error={new ApiProblem(404, 'ROUTE_NOT_FOUND', 'about:blank', undefined)} />;
}
