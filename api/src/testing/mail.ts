/** Delivering test mail to a running gateway over real SMTP. */
import { SmtpTestClient, type SendResult } from '@e2a/relay/testing';

export async function sendMail(port: number, from: string, to: string[], raw: Buffer): Promise<SendResult> {
  const client = await SmtpTestClient.connect(port);
  try {
    await client.ehlo('client.example.com');
    return await client.send(from, to, raw);
  } finally {
    await client.quit();
  }
}

/** Sends and insists on a 250 for the data: a test that needs stored mail should fail loudly here. */
export async function deliver(port: number, from: string, to: string[], raw: Buffer): Promise<string> {
  const result = await sendMail(port, from, to, raw);
  if (result.data?.code !== 250) {
    throw new Error(`expected 250 after DATA, got ${JSON.stringify({ mail: result.mail, rcpt: result.rcpt, data: result.data })}`);
  }
  return result.data.text;
}
