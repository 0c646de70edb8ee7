/** A row of toggle chips for a list filter ('' = all): a radio group that also moves with the arrow keys. */
import { RadioSwitch } from './RadioSwitch.tsx';

export function FilterChips<T extends string>(props: { label: string; options: readonly T[]; value: T; onChange: (v: T) => void; text?: (v: T) => string }) {
  const { label, options, value, onChange, text = (v) => v || 'All' } = props;
  return <RadioSwitch label={label} options={options} value={value} text={text} onChange={onChange} className="filters" />;
}
