// A browser's Socket.IO client (socket.io-client, as the web client uses it) for tests that watch how a
// connection ends: prints "connected", then "disconnect <reason>" and exits.
// usage: node sioclient.mjs URL TOKEN
import { io } from 'socket.io-client';

const [url, token] = process.argv.slice(2);
const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false });
socket.on('connect', () => console.log('connected'));
socket.on('connect_error', (err) => { console.log(`connect_error ${err.message}`); process.exit(1); });
socket.on('disconnect', (reason) => { console.log(`disconnect ${reason}`); process.exit(0); });
