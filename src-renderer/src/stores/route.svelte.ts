// Navigation store: the current route, mirrored in the URL hash so back/forward and reload work.
import { formatRoute, parseRoute, type Route } from '../lib/route.js';

class RouteStore {
  current = $state<Route>(parseRoute(window.location.hash));

  constructor() {
    window.addEventListener('hashchange', () => {
      this.current = parseRoute(window.location.hash);
    });
  }

  go(route: Route): void {
    const hash = formatRoute(route);
    if (window.location.hash === hash) this.current = route;
    else window.location.hash = hash;
  }
}

export const route = new RouteStore();
