import { waitFor } from './wait-for';

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : 0), 'n to reach 3', 1000, 1)).resolves.toBe(3);
  });

  it('names what it waited for when it times out', async () => {
    await expect(waitFor(() => false, 'the impossible', 30, 5)).rejects.toThrow(/the impossible/);
  });
});
