/** Small formatting helpers of the ops commands' output. */

export const humanSize = (bytes: number): string =>
  bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 ** 2
      ? `${(bytes / 1024).toFixed(1)} KB`
      : bytes < 1024 ** 3
        ? `${(bytes / 1024 ** 2).toFixed(1)} MB`
        : `${(bytes / 1024 ** 3).toFixed(2)} GB`;

/** At most `max` items, then how many more. */
export const capped = <T>(items: readonly T[], max: number, show: (item: T) => string): string[] => [
  ...items.slice(0, max).map(show),
  ...(items.length > max ? [`… and ${items.length - max} more`] : []),
];
