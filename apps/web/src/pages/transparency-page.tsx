import { FormError } from '../components/form.tsx';
import { Page, Section } from '../components/page.tsx';
import { useSession } from '../session.tsx';
import { useFetched } from '../use-fetched.ts';

export function TransparencyPage() {
  const { api } = useSession();
  const { data: report, error } = useFetched(api.transparency);

  return (
    <Page
      title="Transparency"
      lede="Everything Claw Cloud can store, read from the running system rather than written by hand."
    >
      <FormError error={error} fields={[]} />
      {!report && !error && (
        <p className="loading" role="status">
          Loading the live schema…
        </p>
      )}
      {report && (
        <>
          <p className="statement">{report.statement}</p>
          <Section id="log-fields" title="What our logs may contain">
            <p>
              Our logger accepts only these fields. Anything else, including request bodies, headers and chat
              messages, is dropped before it is written.
            </p>
            <ul className="chips" aria-label="Allowed log fields">
              {report.logFields.map((field) => (
                <li key={field}>
                  <code>{field}</code>
                </li>
              ))}
            </ul>
          </Section>
          <section className="tables" aria-labelledby="tables-title">
            <h2 id="tables-title">Every table and column in our database</h2>
            <p>{report.tables.length} tables, listed from the live database when you opened this page.</p>
            <div className="table-grid">
              {report.tables.map((table) => (
                <section key={table.name} className="card" aria-labelledby={`table-${table.name}`}>
                  <h3 id={`table-${table.name}`}>
                    <code>{table.name}</code>
                  </h3>
                  <div className="table-scroll">
                    <table>
                      <thead>
                        <tr>
                          <th scope="col">Column</th>
                          <th scope="col">Type</th>
                          <th scope="col">Can be empty</th>
                        </tr>
                      </thead>
                      <tbody>
                        {table.columns.map((column) => (
                          <tr key={column.name}>
                            <th scope="row">
                              <code>{column.name}</code>
                            </th>
                            <td>{column.type}</td>
                            <td>{column.nullable ? 'yes' : 'no'}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                </section>
              ))}
            </div>
          </section>
        </>
      )}
    </Page>
  );
}
