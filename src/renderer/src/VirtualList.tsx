/**
 * A windowed list with a fixed row height: only the rows in view (plus a small overscan) are in the DOM, so the
 * invoices screen stays fast with 100,000 rows. `onNeedMore` is called when the view nears the loaded end, for
 * cursor paging as the user scrolls.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type ReactNode } from 'react';

interface Props<T> {
  items: readonly T[];
  /** Bumped by the owner when `items` was mutated in place (appending a page to a 100k array). */
  version: number;
  rowHeight: number;
  renderRow: (item: T, index: number) => ReactNode;
  rowKey: (item: T) => string;
  hasMore: boolean;
  onNeedMore?: () => void;
  overscan?: number;
  /** Class of each row (the row element is the list's own, with role=row: renderRow gives its cells). */
  rowClassName?: (item: T) => string;
  onRowClick?: (item: T) => void;
  /** aria-rowindex of the first item (2 when a header row comes first). */
  firstRowIndex?: number;
}

export function VirtualList<T>(props: Props<T>) {
  const { items, version, rowHeight, renderRow, rowKey, hasMore, onNeedMore, overscan = 8, rowClassName, onRowClick, firstRowIndex = 1 } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setHeight(el.clientHeight);
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const onScroll = useCallback(() => {
    const el = ref.current;
    if (el) setScrollTop(el.scrollTop);
  }, []);

  const count = items.length;
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + overscan);

  useEffect(() => {
    // Within two screens of the end: fetch the next page.
    const visibleRows = Math.ceil(height / rowHeight);
    if (hasMore && onNeedMore && last + visibleRows * 2 >= count) onNeedMore();
  }, [last, count, hasMore, onNeedMore, height, rowHeight, version]);

  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    const item = items[i]!;
    rows.push(
      <div
        key={rowKey(item)}
        className={`vrow ${rowClassName?.(item) ?? ''}`}
        role="row"
        aria-rowindex={i + firstRowIndex}
        data-id={rowKey(item)}
        onClick={onRowClick ? () => onRowClick(item) : undefined}
        style={{ transform: `translateY(${i * rowHeight}px)`, height: rowHeight }}
      >
        {renderRow(item, i)}
      </div>,
    );
  }
  return (
    // The scrolling body of a table: the caller wraps it in role=table with a header row.
    <div ref={ref} className="vlist" onScroll={onScroll} role="rowgroup" data-rows={count}>
      <div className="vlist-inner" style={{ height: (count + (hasMore ? 1 : 0)) * rowHeight }}>
        {rows}
        {hasMore && (
          <div className="vrow vrow-loading" role="row" style={{ transform: `translateY(${count * rowHeight}px)`, height: rowHeight }}>
            <span role="cell">Loading…</span>
          </div>
        )}
      </div>
    </div>
  );
}
