import { useT } from '../i18n/i18n.js';

export default function Page() {
  const t = useT();
  return <h1>{t('nav.settings')}</h1>;
}
