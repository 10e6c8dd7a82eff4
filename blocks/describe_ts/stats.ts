export interface Stats {
  count: number;
  sum: number;
  mean: number | null;
  min: number | null;
  max: number | null;
}

export function describe(numbers: number[]): Stats {
  const count = numbers.length;
  const sum = numbers.reduce((total, n) => total + n, 0);
  return {
    count,
    sum,
    mean: count ? sum / count : null,
    min: count ? Math.min(...numbers) : null,
    max: count ? Math.max(...numbers) : null,
  };
}
