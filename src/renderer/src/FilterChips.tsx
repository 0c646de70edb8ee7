/** A row of toggle chips for a list filter ('' = all), keyboard- and screen-reader-friendly (a radio group). */
export function FilterChips<T extends string>(props: {
  label: string;
  options: readonly T[];
  value: T;
  onChange: (v: T) => void;
  text?: (v: T) => string;
}) {
  const { label, options, value, onChange, text = (v) => v || 'All' } = props;
  return (
    <div className="filters" role="radiogroup" aria-label={label}>
      {options.map((x) => (
        <button key={x || 'all'} type="button" role="radio" aria-checked={value === x} className={value === x ? 'on' : ''} onClick={() => onChange(x)}>
          {text(x)}
        </button>
      ))}
    </div>
  );
}
