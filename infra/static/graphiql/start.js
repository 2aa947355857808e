// GraphiQL's page: the editor opens on the examples the server put into the page (or on the URL's
// `q`, `variables` and `headers`, so that a shared link opens the same request), queries go to the
// page's own URL, subscriptions to the same URL over WebSocket. Everything it loads comes from the
// server itself (infra/graphiql.py): no CDN, so it works on networks without internet.
(function () {
  'use strict';

  const examples = JSON.parse(document.getElementById('graphiql-examples').textContent);

  const parameters = {};
  for (const entry of window.location.search.slice(1).split('&')) {
    const eq = entry.indexOf('=');
    if (eq >= 0) {
      parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(entry.slice(eq + 1));
    }
  }

  function updateURL(data) {
    Object.assign(parameters, data);
    const search = Object.keys(parameters)
      .filter((key) => Boolean(parameters[key]))
      .map((key) => `${encodeURIComponent(key)}=${encodeURIComponent(parameters[key])}`)
      .join('&');
    history.replaceState(null, '', `?${search}`);
  }

  const url = window.location.href.split('?')[0].split('#')[0];
  const subscriptionUrl = new URL(url);
  subscriptionUrl.protocol = subscriptionUrl.protocol === 'https:' ? 'wss:' : 'ws:';

  const fetcher = GraphiQL.createFetcher({ url, subscriptionUrl: subscriptionUrl.toString() });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();

  function Page() {
    const [query, setQuery] = React.useState(parameters.q || examples);
    const [variables, setVariables] = React.useState(parameters.variables);
    const [headers, setHeaders] = React.useState(parameters.headers);
    return React.createElement(GraphiQL, {
      fetcher,
      plugins: [explorer],
      defaultEditorToolsVisibility: true,
      query,
      variables,
      headers,
      onEditQuery: (value) => {
        setQuery(value);
        updateURL({ q: value });
      },
      onEditVariables: (value) => {
        setVariables(value);
        updateURL({ variables: value });
      },
      onEditHeaders: setHeaders,
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    });
  }

  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(Page));
})();
