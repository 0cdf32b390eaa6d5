// Form controls bound to react-hook-form, each with a visible label and its error right
// under it (the API's `field` errors land here through applyApiError).
import type { ReactNode } from 'react';
import { Controller, type Control, type FieldValues, type Path } from 'react-hook-form';
import { Checkbox, FieldError, Input, Label, Text, TextField } from 'react-aria-components';

interface Base<T extends FieldValues> {
  control: Control<T>;
  name: Path<T>;
  label: string;
  description?: ReactNode;
  isDisabled?: boolean;
}

export function TextInput<T extends FieldValues>(
  props: Base<T> & {
    type?: 'text' | 'email' | 'password' | 'number' | 'search' | 'tel';
    autoComplete?: string;
    isRequired?: boolean;
    inputMode?: 'numeric' | 'text' | 'email' | 'tel';
    placeholder?: string;
  },
) {
  return (
    <Controller
      control={props.control}
      name={props.name}
      render={({ field, fieldState }) => (
        <TextField
          className="field"
          name={field.name}
          value={(field.value as string | number | null | undefined)?.toString() ?? ''}
          onChange={field.onChange}
          onBlur={field.onBlur}
          isInvalid={fieldState.invalid}
          isRequired={props.isRequired ?? false}
          isDisabled={props.isDisabled ?? false}
          validationBehavior="aria"
          type={props.type ?? 'text'}
          {...(props.autoComplete ? { autoComplete: props.autoComplete } : {})}
          {...(props.inputMode ? { inputMode: props.inputMode } : {})}
        >
          <Label>{props.label}</Label>
          <Input
            ref={field.ref}
            {...(props.placeholder ? { placeholder: props.placeholder } : {})}
          />
          {props.description ? <Text slot="description">{props.description}</Text> : null}
          <FieldError>{fieldState.error?.message}</FieldError>
        </TextField>
      )}
    />
  );
}

/// A native <select>: keyboard and screen-reader behaviour come from the browser.
export function SelectInput<T extends FieldValues>(
  props: Base<T> & {
    options: readonly { value: string; label: string }[];
    /** Converts the <select>'s string to the form value (e.g. ids to numbers, '' to null). */
    parse?: (value: string) => unknown;
  },
) {
  const id = `f-${props.name.replace(/\W/g, '-')}`;
  return (
    <Controller
      control={props.control}
      name={props.name}
      render={({ field, fieldState }) => (
        <div className="field">
          <label htmlFor={id}>{props.label}</label>
          <select
            id={id}
            ref={field.ref}
            name={field.name}
            value={field.value === null || field.value === undefined ? '' : String(field.value)}
            onChange={(e) =>
              field.onChange(props.parse ? props.parse(e.target.value) : e.target.value)
            }
            onBlur={field.onBlur}
            disabled={props.isDisabled ?? false}
            aria-invalid={fieldState.invalid || undefined}
            aria-describedby={fieldState.error ? `${id}-error` : undefined}
          >
            {props.options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
          {props.description ? <span className="description">{props.description}</span> : null}
          {fieldState.error ? (
            <span className="field-error" id={`${id}-error`}>
              {fieldState.error.message}
            </span>
          ) : null}
        </div>
      )}
    />
  );
}

export function CheckboxInput<T extends FieldValues>(props: Base<T>) {
  return (
    <Controller
      control={props.control}
      name={props.name}
      render={({ field, fieldState }) => (
        <div className="field field-checkbox">
          <Checkbox
            name={field.name}
            isSelected={Boolean(field.value)}
            onChange={field.onChange}
            onBlur={field.onBlur}
            isInvalid={fieldState.invalid}
            isDisabled={props.isDisabled ?? false}
            inputRef={field.ref}
          >
            <span className="checkbox-box" aria-hidden="true" />
            {props.label}
          </Checkbox>
          {props.description ? <span className="description">{props.description}</span> : null}
          {fieldState.error ? (
            <span className="field-error">{fieldState.error.message}</span>
          ) : null}
        </div>
      )}
    />
  );
}

/// The form-level error: an API error that names no field of the form.
export function FormBanner(props: { message: string | null | undefined }) {
  if (!props.message) return null;
  return (
    <div className="banner banner-error" role="alert">
      {props.message}
    </div>
  );
}
