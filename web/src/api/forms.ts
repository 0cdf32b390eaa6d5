import type { FieldValues, Path, UseFormSetError } from 'react-hook-form';
import { isApiError } from './errors';

/// "fallback.id" → "fallback.id"; "patterns[1]" → "patterns.1" (react-hook-form's path form).
export function apiFieldToFormPath(field: string): string {
  return field.replace(/\[(\d+)\]/g, '.$1');
}

/// Puts an API error next to the form field it names. Returns the message for the form-level
/// banner when the error names no field of this form (or is not an ApiError at all), else
/// null. `fields` lists the form's field names (top level); `aliases` maps API names to form
/// names where they differ (e.g. a destination picker that owns `fallback.*`).
export function applyApiError<T extends FieldValues>(
  error: unknown,
  setError: UseFormSetError<T>,
  fields: readonly string[],
  aliases: Record<string, string> = {},
): string | null {
  if (!isApiError(error)) {
    return error instanceof Error ? error.message : 'Something went wrong';
  }
  if (error.field) {
    const path = apiFieldToFormPath(error.field);
    const top = path.split('.')[0] ?? path;
    const mapped = aliases[path] ?? aliases[top];
    const target = mapped ?? (fields.includes(path) ? path : fields.includes(top) ? top : null);
    if (target) {
      setError(
        target as Path<T>,
        { type: 'server', message: error.message },
        { shouldFocus: true },
      );
      return null;
    }
  }
  return error.message;
}
