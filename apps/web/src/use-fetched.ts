import { useEffect, useState } from 'react';
import { asApiError, type ApiError } from './api.ts';

/** Loads once per `load` identity (keep it stable) and ignores answers that arrive after unmount. */
export function useFetched<T>(load: () => Promise<T>) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    let active = true;
    load().then(
      (loaded) => active && setData(loaded),
      (caught: unknown) => active && setError(asApiError(caught)),
    );
    return () => {
      active = false;
    };
  }, [load]);

  return { data, setData, error, setError };
}
